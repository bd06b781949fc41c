/**
 * The tests of the project template (`create/template/test/app.test.ts`) run in this suite too,
 * against the sources, so a change of the runtime that breaks the application `portals init`
 * writes fails here, before the end-to-end test installs the packed package. Importing the test
 * module registers its tests in this file.
 */
import "../../create/template/test/app.test.js";
