// Module hooks (node:module register) that make aws-local-stepfunctions 3.0.0 do what
// AWS Step Functions does in two places our DR machine (statemachine/dr.asl.json) depends
// on. The library's code is patched as it is loaded, never on disk; each patch must apply
// exactly once, or the run stops with a message naming it (a new library version must be
// looked at again, not silently run unpatched).
//
// 1. The context object's `State` (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html):
//    AWS gives every state `$$.State.Name` and `$$.State.EnteredTime` (ISO 8601 with
//    milliseconds, e.g. 2019-03-26T20:14:13.192Z). The library builds a context without
//    `State`, so `"startedAt.$": "$$.State.EnteredTime"` fails with States.Runtime ("does
//    not point to a value"), which no Catch can take (States.ALL does not match
//    States.Runtime). Patched: the context gets `State` {Name, EnteredTime} as each state
//    is entered (a retried state keeps its EnteredTime, as in AWS).
//
// 2. A failed Map iteration stops the Map (https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html:
//    "If any iteration fails, the entire Map state fails, and all its iterations are
//    cancelled"). The library runs iterations through p-limit and, when one fails, aborts
//    the iterations already running but leaves the queued ones in p-limit's queue, which
//    then start anyway: with MaxConcurrency 1 (our layers), layer 2 still ran after
//    layer 1 failed. Patched: once an iteration fails, the queued ones do not start.

const LIBRARY = /\/aws-local-stepfunctions\/build\/main\.node\.esm\.js$/;

const PATCHES = [
  {
    what: 'context.State (Name, EnteredTime) as each state is entered',
    from: 'options.eventLogger.dispatchStateEnteredEvent(currStateName, currState.Type, currInput);',
    to:
      'options.eventLogger.dispatchStateEnteredEvent(currStateName, currState.Type, currInput);\n' +
      '        context.State = { Name: currStateName, EnteredTime: (/* drill */ new Date()).toISOString() };',
  },
  {
    what: 'a failed Map iteration marks the Map failed',
    from:
      '    this.forwardEventsToRootEventLogger(options.eventLogger, execution.eventLogs, index, options.rawInput);\n' +
      '    return execution.result;',
    to:
      '    this.forwardEventsToRootEventLogger(options.eventLogger, execution.eventLogs, index, options.rawInput);\n' +
      '    return execution.result.catch((error) => { this.drillMapFailed = true; throw error; });',
  },
  {
    what: 'queued Map iterations do not start once the Map failed',
    from: '(item, i) => limit(() => this.processItem(iteratorStateMachine, item, input, context, i, options))',
    to:
      '(item, i) => limit(() => this.drillMapFailed ? Promise.reject(new Error("Map already failed")) : ' +
      'this.processItem(iteratorStateMachine, item, input, context, i, options))',
  },
];

export async function load(url, context, nextLoad) {
  const loaded = await nextLoad(url, context);
  if (!LIBRARY.test(url)) return loaded;
  let source = typeof loaded.source === 'string' ? loaded.source : Buffer.from(loaded.source).toString('utf8');
  for (const patch of PATCHES) {
    const count = source.split(patch.from).length - 1;
    if (count !== 1) {
      throw new Error(
        `tools/drill/local_sfn_fixes.mjs: the patch "${patch.what}" matches ${count} places in ${url}, ` +
          'not one: the library changed; check whether it still needs the patch',
      );
    }
    source = source.replace(patch.from, patch.to);
  }
  return { ...loaded, source, shortCircuit: true };
}
