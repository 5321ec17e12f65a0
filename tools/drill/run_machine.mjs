// Runs a state machine file (statemachine/failback.asl.json, statemachine/dr.asl.json)
// with aws-local-stepfunctions. Every Lambda Task, at any depth (inside Map iterations
// too), is sent to the local Lambda service (drill.py), which runs the real binary through
// the Lambda Runtime API; the events:putEvents Task goes to EventBridge in moto, in the
// machine's region. Prints one JSON line per state event on stdout for drill.py to show and
// check; a state inside a Map iteration carries a `label` saying which item it is working
// on (the resource's global cluster, or "layer N").
//
// Usage: node run_machine.mjs CONFIG.json   (written by drill.py)
import { readFileSync } from 'node:fs';
import { register } from 'node:module';

// Two fixes to the library so it runs our ASL as AWS does; see local_sfn_fixes.mjs.
register('./local_sfn_fixes.mjs', import.meta.url);
const { StateMachine } = await import('aws-local-stepfunctions');

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const region = config.region || 'us-east-1';
const emit = (line) => process.stdout.write(JSON.stringify(line) + '\n');

// What CloudFormation's DefinitionSubstitutions does at deploy time.
let text = readFileSync(config.definitionPath, 'utf8');
for (const [name, value] of Object.entries(config.substitutions)) {
  text = text.replaceAll('${' + name + '}', value);
}
const definition = JSON.parse(text);

/** Real Lambda answers 200 with X-Amz-Function-Error; the error's errorType becomes the
 * Step Functions error name and its JSON the Cause, as in AWS. */
async function invokeLambda(functionName, payload) {
  const response = await fetch(`${config.lambdaEndpoint}/2015-03-31/functions/${functionName}/invocations`, {
    method: 'POST',
    body: JSON.stringify(payload),
  });
  const body = await response.text();
  if (response.status !== 200) {
    const error = new Error(body);
    error.name = response.status === 429 ? 'Lambda.TooManyRequestsException' : 'Lambda.ServiceException';
    throw error;
  }
  if (response.headers.get('x-amz-function-error')) {
    const failure = JSON.parse(body);
    const error = new Error(body);
    error.name = failure.errorType || 'Lambda.Unknown';
    throw error;
  }
  return JSON.parse(body);
}

/** The events:putEvents integration: EventBridge's PutEvents with each Detail as text. */
async function putEvents(parameters) {
  const entries = parameters.Entries.map((entry) => ({ ...entry, Detail: JSON.stringify(entry.Detail) }));
  const response = await fetch(config.eventsEndpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': 'AWSEvents.PutEvents',
      // moto routes a request by the service named in its credential scope.
      Authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${region}/events/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify({ Entries: entries }),
  });
  const body = await response.json();
  if (response.status !== 200 || body.FailedEntryCount) {
    const error = new Error(JSON.stringify(body));
    error.name = 'EventBridge.AmazonEventBridgeException';
    throw error;
  }
  return body;
}

/** Which item of a Map a state works on, from its input: a DR resource (by its resource
 * key: a global cluster's identifier, or instance/<identifier>) or a layer. '' at the top
 * level. The same answer for a Task's raw input and for its Parameters, so a result can be
 * matched to its StateExited event. */
function labelOf(input) {
  if (!input || typeof input !== 'object') return '';
  const resource = input.resource;
  if (resource && typeof resource === 'object') {
    return String(resource.resourceKey ?? resource.action?.globalClusterId ?? resource.resourceName ?? '');
  }
  if (typeof input.layer === 'number') return `layer ${input.layer}`;
  if (input.layer && typeof input.layer === 'object' && input.layer.layer !== undefined) return `layer ${input.layer.layer}`;
  return '';
}

// The options below are keyed by state name and reach every nested (Map) execution, so
// the states of every level are collected; state names are unique across levels.
const handlers = {};
const lastResult = {};
const remember = (name, call) => async (input) => (lastResult[`${name}|${labelOf(input)}`] = await call(input));
const waits = {};
const retries = {};
function collect(states) {
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === 'Task' && state.Resource.startsWith('arn:aws:lambda:')) {
      const functionName = state.Resource.split(':').pop();
      handlers[name] = remember(name, (input) => invokeLambda(functionName, input));
    } else if (state.Type === 'Task' && state.Resource === 'arn:aws:states:::events:putEvents') {
      handlers[name] = remember(name, putEvents);
    }
    if (state.Type === 'Wait') waits[name] = config.waitMs;
    if (state.Retry) retries[name] = config.retryMs;
    const nested = state.ItemProcessor ?? state.Iterator;
    if (nested) collect(nested.States);
    for (const branch of state.Branches ?? []) collect(branch.States);
  }
}
collect(definition.States);

const machine = new StateMachine(definition, { validationOptions: { checkArn: true, checkPaths: true } });
const execution = machine.run(config.input, {
  overrides: { taskResourceLocalHandlers: handlers, waitTimeOverrides: waits, retryIntervalOverrides: retries },
  context: {
    Execution: {
      Id: config.executionId,
      Name: config.executionName,
      StartTime: new Date().toISOString(),
      Input: config.input,
      RoleArn: 'arn:aws:iam::123456789012:role/aurora-failback-state-machine',
    },
  },
});

const stop = () => execution.abort();
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

for await (const event of execution.eventLogs) {
  const line = { type: event.type, timestamp: event.timestamp };
  if (event.state) line.state = event.state.name;
  const label = event.state ? labelOf(event.state.input) : '';
  if (label) line.label = label;
  if (event.index !== undefined) line.index = event.index;
  if (event.Error) {
    line.error = event.Error;
    line.cause = typeof event.Cause === 'string' ? event.Cause : JSON.stringify(event.Cause);
  }
  if (event.retry) line.attempt = event.retry.attempt;
  const key = event.state ? `${event.state.name}|${label}` : '';
  if (event.type === 'StateExited' && key in lastResult) line.result = lastResult[key];
  if (event.type === 'ExecutionSucceeded') line.output = event.output;
  emit(line);
}
try {
  await execution.result;
} catch {
  // The failure was already reported as an ExecutionFailed event.
}
