/**
 * Hello, World: the smallest application. A generator emits one atom with one greeting; a
 * workflow logs it. Run it with `portals run examples/hello-world/app.ts` (or the built `.js`).
 *
 * Output: `Hello, World!`
 */
import { PortalsApp } from "portals-ts";

export default PortalsApp("hello-world", (app) => {
  const greeting = app.generators.signal("Hello, World!", { name: "greeting" });
  app.workflows<string, string>("hello").source(greeting.stream).logger().sink().freeze();
});
