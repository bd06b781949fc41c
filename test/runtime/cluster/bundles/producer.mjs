// Runtime A's application: numbers sent over HTTP, doubled, on /numbers/workflows/double/stream.
import { PortalsApp } from "portals-ts";

export default PortalsApp("numbers", (app) => {
  const numbers = app.generators.http("in");
  app.workflows("double").source(numbers.stream).map((x) => x * 2).sink();
});
