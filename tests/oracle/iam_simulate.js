// The differential test's second evaluator: reads JSON cases from stdin, one a line, and answers each
// with one line, in one process (tests/test_differential.py starts it once per test run).
// A case: {"policy": <SCP document>, "action": "...", "resource": "...", "context": {key: value | [values]}}
// An answer: {"decision": "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied" | "error", "detail": ...}
'use strict';
const path = require('path');
const readline = require('readline');

// the npm --prefix folder that .ci/run installs into (the package is no dependency of scp-fix itself)
const prefix = process.env.SCP_FIX_ORACLE_PREFIX || path.join(__dirname, '..', '..', '.oracle');
const { runSimulation } = require(require.resolve('@cloud-copilot/iam-simulate', { paths: [prefix] }));

const ACCOUNT = '111122223333';
const FULL_AWS_ACCESS = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

async function answer(item) {
  const simulation = {
    request: {
      principal: `arn:aws:iam::${ACCOUNT}:role/Caller`,
      action: item.action,
      resource: { resource: item.resource, accountId: ACCOUNT },
      contextVariables: item.context || {},
    },
    // the caller's own policy allows everything: only the SCP decides
    identityPolicies: [{ name: 'everything', policy: FULL_AWS_ACCESS }],
    serviceControlPolicies: [
      {
        orgIdentifier: 'r-root',
        policies: item.full_access === false
          ? [{ name: 'scp', policy: item.policy }]
          : [{ name: 'FullAWSAccess', policy: FULL_AWS_ACCESS }, { name: 'scp', policy: item.policy }],
      },
    ],
    resourceControlPolicies: [],
  };
  const result = await runSimulation(simulation, {});
  if (result.resultType === 'error') {
    return { decision: 'error', detail: result.errors.message };
  }
  return { decision: result.overallResult, ignored: (result.result && result.result.ignoredContextKeys) || [] };
}

async function main() {
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    let reply;
    try {
      reply = await answer(JSON.parse(line));
    } catch (error) {
      reply = { decision: 'error', detail: String(error && error.stack || error) };
    }
    process.stdout.write(JSON.stringify(reply) + '\n');
  }
}

main();
