// Installs the external validators once per test run (cached under ~/.cache) and hands
// their location to the test workers. A failure here fails the run: nothing is skipped.
const { execFileSync } = require('child_process');
const path = require('path');

module.exports = async function globalSetup() {
  const script = path.join(__dirname, '..', '..', 'scripts', 'ensure-tools.sh');
  const bin = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  process.env.SPARK_AIRFLOW_TOOLS_BIN = bin;
};
