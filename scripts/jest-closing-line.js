// jest's testResultsProcessor for scripts/test.sh: the run's closing line for whoever reads the log
// (CI included), "jest: <n> passed, <n> failed, <n> skipped". It goes to the file named by
// HERALD_JEST_SUMMARY, which run_jest prints once jest has exited (after anything jest says at
// exit), or else to stdout at once.
const { writeFileSync } = require('node:fs');

module.exports = function closingLine(results) {
  const skipped = results.numPendingTests + results.numTodoTests;
  const line = `jest: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`;
  if (process.env.HERALD_JEST_SUMMARY) writeFileSync(process.env.HERALD_JEST_SUMMARY, line);
  else process.stdout.write(line);
  return results;
};
