// `npm run bench [-- --quick] [--json PATH] [--only ...]`: see bench/README.md.
import { main } from "./src/main";

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: Error) => {
    process.stderr.write(`bench: ${err.stack ?? err.message}\n`);
    process.exitCode = 1;
  },
);
