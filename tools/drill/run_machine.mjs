// Runs a state machine file (statemachine/failback.asl.json, statemachine/dr.asl.json)
// with aws-local-stepfunctions. Every Lambda Task, at any depth (inside Map iterations
// too), is sent to the local Lambda service (drill.py), which runs the real binary through
// the Lambda Runtime API; the events:putEvents Task goes to EventBridge in moto, in the
// machine's region. Prints one JSON line per state event on stdout for drill.py to show and
// check; a state inside a Map iteration carries a `label` saying which item it is working
// on (the resource's global cluster, or "layer N").
//
// The states:startExecution Task (the DR machine's capacity hand-off) starts another state
// machine file named in config.childMachines by its ARN (statemachine/failback.asl.json),
// with the same Lambda service, waits and retries, as Step Functions' optimized integration
// does without .sync (https://docs.aws.amazon.com/step-functions/latest/dg/connect-stepfunctions.html):
// the Task's result is {ExecutionArn, StartDate} at once, the child runs on. Its state
// events are printed too, each with `execution` (the child's name) and `executionArn`; when
// the parent ends, this waits for every child and prints one `ChildExecutionEnded` line each
// (status, output, error, cause). An execution name is unique per state machine, as
// StartExecution's is ("An execution can't use the name of another execution for 90
// days"): config.executionsFile keeps the executions started across runs, and a second
// StartExecution of a name fails with StepFunctions.ExecutionAlreadyExistsException, unless
// the first is still running with the identical input (then the call succeeds and answers
// the same, as the API reference says of STANDARD workflows).
//
// Usage: node run_machine.mjs CONFIG.json   (written by drill.py)
import { readFileSync, writeFileSync, renameSync, existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { register } from 'node:module';

// Two fixes to the library so it runs our ASL as AWS does; see local_sfn_fixes.mjs.
register('./local_sfn_fixes.mjs', import.meta.url);
const { StateMachine } = await import('aws-local-stepfunctions');

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const region = config.region || 'us-east-1';
const emit = (line) => process.stdout.write(JSON.stringify(line) + '\n');

/** A state machine file as deployed: what CloudFormation's DefinitionSubstitutions does. */
function loadDefinition(definitionPath, substitutions) {
  let text = readFileSync(definitionPath, 'utf8');
  for (const [name, value] of Object.entries(substitutions)) {
    text = text.replaceAll('${' + name + '}', value);
  }
  return JSON.parse(text);
}
const definition = loadDefinition(config.definitionPath, config.substitutions);

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

// --- states:startExecution (the capacity hand-off) -------------------------------------

const START_EXECUTION = 'arn:aws:states:::states:startExecution';
const children = []; // promises of the child executions' ends
const startedHere = new Map(); // execution ARN -> {input, response} while running in this process

function stepFunctionsError(kind, message) {
  const error = new Error(message);
  error.name = `StepFunctions.${kind}`;
  return error;
}

function readExecutions() {
  if (!config.executionsFile || !existsSync(config.executionsFile)) return {};
  return JSON.parse(readFileSync(config.executionsFile, 'utf8') || '{}');
}

function recordExecution(arn, entry) {
  if (!config.executionsFile) return;
  const all = readExecutions();
  all[arn] = { ...all[arn], ...entry };
  const temporary = `${config.executionsFile}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(all));
  renameSync(temporary, config.executionsFile);
}

// StartExecution's name rule: 1-80 characters, none of whitespace, brackets, wildcards,
// special characters or control characters (API_StartExecution.html).
const VALID_NAME = /^[^\s{}\[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f<>]{1,80}$/;

/** The StartExecution integration without .sync: {ExecutionArn, StartDate}, the child runs on. */
async function startExecution(parameters) {
  const child = (config.childMachines || {})[parameters.StateMachineArn];
  if (!child) {
    throw stepFunctionsError('StateMachineDoesNotExistException', `State Machine Does Not Exist: '${parameters.StateMachineArn}'`);
  }
  const name = parameters.Name ?? randomUUID();
  if (typeof name !== 'string' || !VALID_NAME.test(name)) {
    throw stepFunctionsError('InvalidNameException', `Invalid Name: '${name}'`);
  }
  let input;
  try {
    input = typeof parameters.Input === 'string' ? JSON.parse(parameters.Input) : (parameters.Input ?? {});
  } catch (e) {
    throw stepFunctionsError('InvalidExecutionInputException', `Invalid State Machine Execution Input: '${e.message}'`);
  }
  const inputText = JSON.stringify(input);
  const [, , , machineRegion, account, , machineName] = parameters.StateMachineArn.split(':');
  const arn = `arn:aws:states:${machineRegion}:${account}:execution:${machineName}:${name}`;
  const earlier = startedHere.get(arn) ?? readExecutions()[arn];
  if (earlier) {
    if (earlier.status === 'RUNNING' && earlier.input === inputText) return earlier.response;
    throw stepFunctionsError('ExecutionAlreadyExistsException',
      `Execution Already Exists: '${arn}' (Service: AWSStepFunctions; Status Code: 400; Error Code: ExecutionAlreadyExists)`);
  }
  const started = new Date();
  // Step Functions gives task results' timestamps as epoch milliseconds.
  const response = { ExecutionArn: arn, StartDate: started.getTime() };
  const entry = { input: inputText, status: 'RUNNING', startDate: started.toISOString(), response };
  startedHere.set(arn, entry);
  recordExecution(arn, entry);
  const childDefinition = loadDefinition(child.definitionPath, child.substitutions);
  const ended = runMachine(childDefinition, input, { arn, name, started, tag: { execution: name, executionArn: arn } })
    .then((end) => {
      entry.status = end.status;
      recordExecution(arn, { status: end.status, output: end.output, error: end.error, cause: end.cause, stopDate: new Date().toISOString() });
      emit({ type: 'ChildExecutionEnded', execution: name, executionArn: arn, stateMachineArn: parameters.StateMachineArn,
        input, ...end, timestamp: Date.now() });
    });
  children.push(ended);
  return response;
}

// --- running a machine -------------------------------------------------------------------

/** The local handlers, waits and retries of a machine's states, every level included: the
 * options are keyed by state name and reach every nested (Map) execution; state names are
 * unique across the levels of one machine. */
function prepare(machineDefinition) {
  const handlers = {};
  const lastResult = {};
  // What the Task sent (its Parameters applied), so a test can make the same call again.
  const lastInput = {};
  // A call that throws leaves no result: the StateExited of a caught Task must not show
  // the result of its previous, successful call (a poll loop's last `pending`).
  const remember = (name, call) => async (input) => {
    const key = `${name}|${labelOf(input)}`;
    delete lastResult[key];
    lastInput[key] = input;
    return (lastResult[key] = await call(input));
  };
  const waits = {};
  const retries = {};
  function collect(states) {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task' && state.Resource.startsWith('arn:aws:lambda:')) {
        const functionName = state.Resource.split(':').pop();
        handlers[name] = remember(name, (input) => invokeLambda(functionName, input));
      } else if (state.Type === 'Task' && state.Resource === 'arn:aws:states:::events:putEvents') {
        handlers[name] = remember(name, putEvents);
      } else if (state.Type === 'Task' && state.Resource === START_EXECUTION) {
        handlers[name] = remember(name, startExecution);
      } else if (state.Type === 'Task' && state.Resource.startsWith(START_EXECUTION)) {
        throw new Error(`run_machine.mjs: ${state.Resource} (state ${name}) is not emulated; only ${START_EXECUTION}`);
      }
      if (state.Type === 'Wait') waits[name] = config.waitMs;
      if (state.Retry) retries[name] = config.retryMs;
      const nested = state.ItemProcessor ?? state.Iterator;
      if (nested) collect(nested.States);
      for (const branch of state.Branches ?? []) collect(branch.States);
    }
  }
  collect(machineDefinition.States);
  return { handlers, waits, retries, lastResult, lastInput };
}

/** Runs a machine to its end, printing its state events (each with `tag`'s fields);
 * {status, output, error, cause}. */
async function runMachine(machineDefinition, input, { arn, name, started, tag = {} }) {
  const { handlers, waits, retries, lastResult, lastInput } = prepare(machineDefinition);
  const machine = new StateMachine(machineDefinition, { validationOptions: { checkArn: true, checkPaths: true } });
  const execution = machine.run(input, {
    overrides: { taskResourceLocalHandlers: handlers, waitTimeOverrides: waits, retryIntervalOverrides: retries },
    context: {
      Execution: {
        Id: arn,
        Name: name,
        StartTime: started.toISOString(),
        Input: input,
        RoleArn: 'arn:aws:iam::123456789012:role/aurora-failback-state-machine',
      },
    },
  });
  running.push(execution);
  const end = { status: 'RUNNING' };
  for await (const event of execution.eventLogs) {
    const line = { ...tag, type: event.type, timestamp: event.timestamp };
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
    if ((event.type === 'StateExited' || event.type === 'StateFailed') && key in lastInput) line.taskInput = lastInput[key];
    if (event.type === 'ExecutionSucceeded') {
      line.output = event.output;
      Object.assign(end, { status: 'SUCCEEDED', output: event.output });
    }
    if (event.type === 'ExecutionFailed') Object.assign(end, { status: 'FAILED', error: line.error, cause: line.cause });
    if (event.type === 'ExecutionAborted') end.status = 'ABORTED';
    if (event.type === 'ExecutionTimeout') end.status = 'TIMED_OUT';
    emit(line);
  }
  try {
    await execution.result;
  } catch {
    // The failure was already reported as an ExecutionFailed event.
  }
  if (end.status === 'RUNNING') end.status = 'FAILED';
  return end;
}

const running = [];
const stop = () => running.forEach((execution) => execution.abort());
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

await runMachine(definition, config.input, {
  arn: config.executionId,
  name: config.executionName,
  started: new Date(),
});
// The children started by states:startExecution run on after their parent; wait for them.
while (children.length) {
  await children.shift();
}
