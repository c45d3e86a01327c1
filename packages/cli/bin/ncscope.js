#!/usr/bin/env node
// Thin launcher: the command line lives in ../dist/main.js (built by `npm run build`, which `npm install` runs).
import { main } from '../dist/main.js';
main(process.argv).then((code) => { process.exitCode = code; });
