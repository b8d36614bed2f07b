import { mount } from "svelte";
import App from "./App.svelte";
import "./app.css";
import "./shell.css";

// index.html's static shell (drawn before this script ran) gives way to the same shell, live, in
// one task: no frame shows the page without it.
const target = document.getElementById("app")!;
target.replaceChildren();
const app = mount(App, { target });

export default app;
