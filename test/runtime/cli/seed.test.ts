/**
 * What `--seed` changes, as the README and `portals run --help` say: only the order of
 * independent work, so of the examples only those whose workflows print side by side (or that
 * draw from a random sequencer) print differently with another seed.
 */
import { expect, test } from "vitest";
import bankSaga from "../../../examples/bank-saga/app.js";
import countdown from "../../../examples/countdown/app.js";
import feedbackLoop from "../../../examples/feedback-loop/app.js";
import helloWorld from "../../../examples/hello-world/app.js";
import keyedCounter from "../../../examples/keyed-counter/app.js";
import operatorTour from "../../../examples/operator-tour/app.js";
import pingPong from "../../../examples/ping-pong/app.js";
import previousValue from "../../../examples/previous-value/app.js";
import registry from "../../../examples/registry/app.js";
import splitterRouting from "../../../examples/splitter-routing/app.js";
import wordCount from "../../../examples/word-count/app.js";
import { runExample } from "../../examples/run-example.js";

test("of the examples, only splitter-routing prints differently with seeds 0, 1 and 2", () => {
  const examples = { bankSaga, countdown, feedbackLoop, helloWorld, keyedCounter, operatorTour, pingPong, previousValue, registry, splitterRouting, wordCount };
  const differing = Object.entries(examples)
    .filter(([, app]) => {
      const outputs = [0, 1, 2].map((seed) => runExample(app, seed).lines.join("\n"));
      return outputs.some((o) => o !== outputs[0]);
    })
    .map(([name]) => name);
  expect(differing).toEqual(["splitterRouting"]);
});
