// Launches the countdown example (async operators) from TypeScript, for the Node hook test.
import { Systems } from "portals-ts";
import app from "../../../examples/countdown/app.js";

const system = Systems.test({ log: (line) => console.log(line) });
system.launch(app);
system.stepUntilComplete();
