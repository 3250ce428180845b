/** What an API module receives in `register(app)`: the application services plus the router. */
import type { EmulatorApp } from "./context.js";
import type { Router } from "./router.js";

export interface ModuleHost extends EmulatorApp {
  readonly router: Router;
}
