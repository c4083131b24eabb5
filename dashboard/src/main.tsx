import { render } from "preact";
import { takeTokenFromUrl } from "./api.ts";
import { App } from "./app.tsx";
import "./style.css";

takeTokenFromUrl();
render(<App />, document.getElementById("app") as HTMLElement);
