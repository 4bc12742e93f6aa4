// Starts the NHS.UK frontend components (header menu, details, skip link) on every page.
import { initAll } from "../vendor/nhsuk-frontend/nhsuk-frontend.min.js";

initAll();
