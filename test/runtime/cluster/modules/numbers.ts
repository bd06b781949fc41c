// Runtime A of the stream scenario: numbers sent over HTTP, doubled, on /numbers/workflows/double/stream.
import { PortalsApp } from "portals-ts";

export default PortalsApp("numbers", (app) => {
  const numbers = app.generators.http<number>("in");
  app.workflows<number, number>("double").source(numbers.stream).map((x) => x * 2).sink();
});
