// Runs statemachine/failback.asl.json with aws-local-stepfunctions. Every Lambda Task
// is sent to the local Lambda service (drill.py), which runs the real binary through the
// Lambda Runtime API; the events:putEvents Task goes to EventBridge in moto. Prints one
// JSON line per state event on stdout for drill.py to show and check.
//
// Usage: node run_machine.mjs CONFIG.json   (written by drill.py)
import { readFileSync } from 'node:fs';
import { StateMachine } from 'aws-local-stepfunctions';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
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
      Authorization: 'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/events/aws4_request, SignedHeaders=host, Signature=0',
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

const handlers = {};
const lastResult = {};
const remember = (name, call) => async (input) => (lastResult[name] = await call(input));
const waits = {};
const retries = {};
for (const [name, state] of Object.entries(definition.States)) {
  if (state.Type === 'Task' && state.Resource.startsWith('arn:aws:lambda:')) {
    const functionName = state.Resource.split(':').pop();
    handlers[name] = remember(name, (input) => invokeLambda(functionName, input));
  } else if (state.Type === 'Task' && state.Resource === 'arn:aws:states:::events:putEvents') {
    handlers[name] = remember(name, putEvents);
  }
  if (state.Type === 'Wait') waits[name] = config.waitMs;
  if (state.Retry) retries[name] = config.retryMs;
}

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
  if (event.Error) {
    line.error = event.Error;
    line.cause = typeof event.Cause === 'string' ? event.Cause : JSON.stringify(event.Cause);
  }
  if (event.retry) line.attempt = event.retry.attempt;
  if (event.type === 'StateExited' && event.state.name in lastResult) line.result = lastResult[event.state.name];
  if (event.type === 'ExecutionSucceeded') line.output = event.output;
  emit(line);
}
try {
  await execution.result;
} catch {
  // The failure was already reported as an ExecutionFailed event.
}
