// Installs the external validators and scanners once per test run (cached under ~/.cache) and
// hands their location to the test workers. A failure here fails the run: nothing is skipped.
const { execFileSync } = require('child_process');
const path = require('path');

const script = path.join(__dirname, '..', '..', 'scripts', 'ensure-tools.sh');
const ensure = (name) => execFileSync('bash', [script, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();

module.exports = async function globalSetup() {
  process.env.SPARK_AIRFLOW_TOOLS_BIN = ensure('tools');
  process.env.SPARK_AIRFLOW_CHECKOV_BIN = ensure('checkov');
  // the pinned Airflow (requirements/airflow-lock.txt): its own parser reads our airflow.cfg
  process.env.SPARK_AIRFLOW_VENV = execFileSync('bash', [path.join(__dirname, '..', '..', 'scripts', 'ensure-airflow-venv.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
};
