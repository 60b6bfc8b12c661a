import { main } from "./main";

// `phoenix events | head`: a reader that stops early ends the output, it is not a failure.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});

void main();
