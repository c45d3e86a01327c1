export { main, buildProgram, CliError } from './main.js';
