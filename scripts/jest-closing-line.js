// jest's testResultsProcessor for scripts/test.sh: ends the run with one plain line for whoever
// reads the log (CI included), "jest: <n> passed, <n> failed, <n> skipped". jest calls it after
// its reporters have printed their summary, so the line comes last.
module.exports = function closingLine(results) {
  const skipped = results.numPendingTests + results.numTodoTests;
  process.stdout.write(`jest: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`);
  return results;
};
