import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as YAML from 'yaml';
import { AuroraFailback, AuroraFailbackProps, findWorkspaceRoot } from '../lib';

export const REPO_ROOT = requireValue(findWorkspaceRoot(__dirname), 'no Cargo workspace above the tests');
export const REAL_DEFINITION = path.join(REPO_ROOT, 'statemachine', 'failback.asl.json');
export const REAL_DR_DEFINITION = path.join(REPO_ROOT, 'statemachine', 'dr.asl.json');
export const PLACEHOLDER_DEFINITION = path.join(REPO_ROOT, 'infra', 'cdk', 'test', 'fixtures', 'placeholder.asl.json');
export const SAM_TEMPLATE = path.join(REPO_ROOT, 'infra', 'template.yaml');
/** The DR region's side of the cold standby (plain CloudFormation). */
export const BACKUP_DESTINATION_TEMPLATE = path.join(REPO_ROOT, 'infra', 'backup-destination.yaml');

/** The real state machine once it exists; until then the tests' own placeholder. */
export function definitionPath(): string {
  return fs.existsSync(REAL_DEFINITION) ? REAL_DEFINITION : PLACEHOLDER_DEFINITION;
}

export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Synthesised {
  readonly stack: Stack;
  readonly construct: AuroraFailback;
  readonly template: Template;
  readonly json: Json;
}

/** Synthesises the construct in a fresh stack without building the Rust binaries. */
export function synth(props: AuroraFailbackProps = {}): Synthesised {
  // An empty bundling-stacks list skips asset bundling (no cargo build), as `cdk` does
  // for stacks it is not deploying.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test');
  const construct = new AuroraFailback(stack, 'AuroraFailback', {
    definitionPath: definitionPath(), drDefinitionPath: REAL_DR_DEFINITION, ...props,
  });
  const template = Template.fromStack(stack);
  return { stack, construct, template, json: template.toJSON() };
}

export function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}

export interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: Json;
  readonly Condition?: Json;
}

export function asList<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) {
    return [];
  }
  return Array.isArray(value) ? value : [value];
}

/** Every statement a role holds: its inline policies and the policies attached to it. */
export function roleStatements(template: Json, roleId: string): Statement[] {
  const role = template.Resources[roleId];
  if (!role || role.Type !== 'AWS::IAM::Role') {
    throw new Error(`${roleId} is not a role`);
  }
  const statements: Statement[] = [];
  for (const policy of asList(role.Properties.Policies)) {
    statements.push(...asList<Statement>((policy as Json).PolicyDocument.Statement));
  }
  for (const resource of Object.values<Json>(template.Resources)) {
    if (resource.Type === 'AWS::IAM::Policy' && asList(resource.Properties.Roles).some((r: Json) => r.Ref === roleId)) {
      statements.push(...asList<Statement>(resource.Properties.PolicyDocument.Statement));
    }
  }
  return statements;
}

export function roleActions(template: Json, roleId: string): string[] {
  const actions = new Set<string>();
  for (const statement of roleStatements(template, roleId)) {
    for (const action of asList(statement.Action)) {
      actions.add(action);
    }
  }
  return [...actions].sort();
}

/** The logical id of the role a function runs as. */
export function functionRoleId(template: Json, functionId: string): string {
  const role = template.Resources[functionId].Properties.Role;
  const getAtt = role['Fn::GetAtt'];
  if (!Array.isArray(getAtt) || getAtt[1] !== 'Arn') {
    throw new Error(`${functionId} has no role reference: ${JSON.stringify(role)}`);
  }
  return getAtt[0];
}

export function resourcesOfType(template: Json, type: string): Array<[string, Json]> {
  return Object.entries<Json>(template.Resources).filter(([, r]) => r.Type === type);
}

/** The SAM template, with CloudFormation's short-form tags read as their long form. */
export function loadSamTemplate(): Json {
  return loadTemplate(SAM_TEMPLATE);
}

/** A CloudFormation template in YAML, with the short-form tags read as their long form. */
export function loadTemplate(file: string): Json {
  const intrinsic = (name: string) => (name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`);
  const names = ['Ref', 'Condition', 'GetAtt', 'Sub', 'If', 'Not', 'Equals', 'And', 'Or', 'Join', 'Select', 'Split',
    'FindInMap', 'GetAZs', 'ImportValue', 'Base64', 'Cidr'];
  const customTags: YAML.Tags = names.flatMap((name) => [
    {
      tag: `!${name}`,
      resolve: (value: string) => ({ [intrinsic(name)]: name === 'GetAtt' ? value.split('.') : value }),
    },
    {
      tag: `!${name}`,
      collection: 'seq' as const,
      resolve: (value: YAML.YAMLSeq) => ({ [intrinsic(name)]: value.toJSON() }),
    },
    {
      tag: `!${name}`,
      collection: 'map' as const,
      resolve: (value: YAML.YAMLMap) => ({ [intrinsic(name)]: value.toJSON() }),
    },
  ]) as YAML.Tags;
  return YAML.parse(fs.readFileSync(file, 'utf8'), { customTags, maxAliasCount: -1 });
}

/**
 * The SAM template as CloudFormation deploys it with these parameter values (the others
 * at their defaults): every Fn::If replaced by its chosen branch, AWS::NoValue removed,
 * and resources whose Condition is false left out. Template parameters named inside a
 * Fn::Sub string are replaced by their values (and a Fn::Sub's own variables, when they
 * evaluate), and a Fn::Join, Fn::Split or Fn::Select of literals and parameters (a
 * CommaDelimitedList is a list) by its result; a plain `Ref` to a parameter is kept, so
 * that tests can see which parameter a property comes from.
 */
export function resolveSamConditions(template: Json, parameters: Record<string, string> = {}): Json {
  const parameterValue = (name: string): string => {
    if (name in parameters) {
      return parameters[name];
    }
    const parameter = template.Parameters?.[name];
    if (!parameter || parameter.Default === undefined) {
      throw new Error(`no value for parameter ${name}`);
    }
    return String(parameter.Default);
  };
  for (const name of Object.keys(parameters)) {
    if (!template.Parameters?.[name]) {
      throw new Error(`the SAM template has no parameter ${name}`);
    }
  }
  const isParameter = (name: string) => template.Parameters?.[name] !== undefined;
  // A literal, a parameter, or a Fn::Join / Fn::Split of those; undefined for anything else.
  const evaluate = (value: Json): string | string[] | undefined => {
    if (typeof value === 'string' || typeof value === 'number') {
      return String(value);
    }
    if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 1) {
      if ('Ref' in value && isParameter(value.Ref)) {
        const text = parameterValue(value.Ref);
        return template.Parameters[value.Ref].Type === 'CommaDelimitedList' ? text.split(',') : text;
      }
      if ('Fn::Join' in value) {
        const [separator, parts] = value['Fn::Join'];
        if (typeof separator !== 'string') {
          return undefined;
        }
        // A literal list of strings, or one function that returns a list.
        const items = Array.isArray(parts) ? parts.map(evaluate) : evaluate(parts);
        if (!Array.isArray(items) || !items.every((item) => typeof item === 'string')) {
          return undefined;
        }
        return (items as string[]).join(separator);
      }
      if ('Fn::Split' in value) {
        const [separator, text] = value['Fn::Split'];
        const joined = evaluate(text);
        return typeof separator === 'string' && typeof joined === 'string' ? joined.split(separator) : undefined;
      }
      if ('Fn::Select' in value) {
        const [index, list] = value['Fn::Select'];
        const items = evaluate(list);
        return Array.isArray(items) && Number.isInteger(Number(index)) ? items[Number(index)] : undefined;
      }
    }
    return undefined;
  };
  const scalar = (value: Json): string => {
    const evaluated = evaluate(value);
    if (typeof evaluated !== 'string') {
      throw new Error(`cannot evaluate ${JSON.stringify(value)} to a string`);
    }
    return evaluated;
  };
  const holds = (expression: Json): boolean => {
    if ('Fn::Equals' in expression) {
      const [a, b] = expression['Fn::Equals'];
      return scalar(a) === scalar(b);
    }
    if ('Fn::Not' in expression) {
      return !holds(expression['Fn::Not'][0]);
    }
    if ('Fn::And' in expression) {
      return expression['Fn::And'].every(holds);
    }
    if ('Fn::Or' in expression) {
      return expression['Fn::Or'].some(holds);
    }
    if ('Condition' in expression) {
      return condition(expression.Condition);
    }
    throw new Error(`cannot evaluate condition ${JSON.stringify(expression)}`);
  };
  const condition = (name: string): boolean => {
    const expression = template.Conditions?.[name];
    if (expression === undefined) {
      throw new Error(`no condition ${name}`);
    }
    return holds(expression);
  };
  const noValue = Symbol('AWS::NoValue');
  const walk = (value: Json): Json => {
    if (Array.isArray(value)) {
      return value.map(walk).filter((v) => v !== noValue);
    }
    if (value && typeof value === 'object') {
      const keys = Object.keys(value);
      if (keys.length === 1 && keys[0] === 'Fn::If') {
        const [name, whenTrue, whenFalse] = value['Fn::If'];
        return walk(condition(name) ? whenTrue : whenFalse);
      }
      if (keys.length === 1 && keys[0] === 'Ref' && value.Ref === 'AWS::NoValue') {
        return noValue;
      }
      if (keys.length === 1 && (keys[0] === 'Fn::Join' || keys[0] === 'Fn::Split' || keys[0] === 'Fn::Select')) {
        const evaluated = evaluate(value);
        if (evaluated !== undefined) {
          return evaluated;
        }
      }
      if (keys.length === 1 && keys[0] === 'Fn::Sub' && typeof value['Fn::Sub'] === 'string') {
        return {
          'Fn::Sub': value['Fn::Sub'].replace(/\$\{([A-Za-z0-9]+)\}/g,
            (whole: string, name: string) => (isParameter(name) ? parameterValue(name) : whole)),
        };
      }
      // Fn::Sub with its own variables: those that evaluate are written into the string; the
      // list form is kept only while one does not.
      if (keys.length === 1 && keys[0] === 'Fn::Sub' && Array.isArray(value['Fn::Sub'])) {
        const [body, variables] = value['Fn::Sub'];
        const values: Record<string, string> = {};
        const kept: Json = {};
        for (const [name, expression] of Object.entries<Json>(variables)) {
          const evaluated = evaluate(expression);
          if (typeof evaluated === 'string') {
            values[name] = evaluated;
          } else {
            kept[name] = walk(expression);
          }
        }
        const text = String(body).replace(/\$\{([A-Za-z0-9]+)\}/g, (whole: string, name: string) =>
          (name in values ? values[name] : isParameter(name) ? parameterValue(name) : whole));
        return Object.keys(kept).length === 0 ? { 'Fn::Sub': text } : { 'Fn::Sub': [text, kept] };
      }
      const resolved: Json = {};
      for (const [key, v] of Object.entries(value)) {
        const w = walk(v);
        if (w !== noValue) {
          resolved[key] = w;
        }
      }
      return resolved;
    }
    return value;
  };
  const resolved = walk(template);
  for (const [id, resource] of Object.entries<Json>(resolved.Resources)) {
    if (typeof resource.Condition === 'string' && !condition(resource.Condition)) {
      delete resolved.Resources[id];
    }
  }
  return resolved;
}

/**
 * A value with its intrinsic functions written the way Fn::Sub writes them, so that SAM's
 * `!Sub "arn:${AWS::Partition}:..."` and the CDK's Fn::Join of the same ARN compare equal.
 * References to resources become `${Ref}` / `${GetAtt.<attribute>}`: the two templates'
 * logical ids differ.
 */
export function normaliseIntrinsics(value: Json): Json {
  if (Array.isArray(value)) {
    return value.map(normaliseIntrinsics);
  }
  if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === 'Fn::Sub' && typeof value['Fn::Sub'] === 'string') {
      return value['Fn::Sub'];
    }
    if (keys.length === 1 && keys[0] === 'Fn::Join') {
      const [separator, parts] = value['Fn::Join'];
      return (parts as Json[]).map((part) => (typeof part === 'string' ? part : normaliseIntrinsics(part))).join(separator);
    }
    if (keys.length === 1 && keys[0] === 'Ref') {
      return String(value.Ref).startsWith('AWS::') ? `\${${value.Ref}}` : '${Ref}';
    }
    if (keys.length === 1 && keys[0] === 'Fn::GetAtt') {
      const getAtt = value['Fn::GetAtt'];
      const attribute = Array.isArray(getAtt) ? getAtt[1] : String(getAtt).split('.').slice(1).join('.');
      return `\${GetAtt.${attribute}}`;
    }
    const normalised: Json = {};
    for (const key of Object.keys(value).sort()) {
      normalised[key] = normaliseIntrinsics(value[key]);
    }
    return normalised;
  }
  return value;
}

/**
 * What a role allows, one line per action, resource and condition (Sids and the way
 * actions are grouped into statements left aside), sorted: comparable between templates.
 */
export function rolePermissions(template: Json, roleId: string): string[] {
  const lines = new Set<string>();
  for (const statement of roleStatements(template, roleId)) {
    const condition = statement.Condition === undefined ? '' : ` if ${JSON.stringify(normaliseIntrinsics(statement.Condition))}`;
    for (const action of asList(statement.Action)) {
      for (const resource of asList(statement.Resource)) {
        lines.add(`${statement.Effect} ${action} on ${normaliseIntrinsics(resource)}${condition}`);
      }
    }
  }
  return [...lines].sort();
}

/**
 * A role's statements that allow any of these actions, in order, as the tests compare them:
 * Sid, actions, resources and condition (when there is one), intrinsics in Fn::Sub form.
 */
export function statementShapes(template: Json, roleId: string, actions: string[]): Json[] {
  return roleStatements(template, roleId)
    .filter((statement) => asList(statement.Action).some((action) => actions.includes(action)))
    .map((statement) => ({
      Sid: statement.Sid,
      Action: asList(statement.Action),
      Resource: asList(statement.Resource).map(normaliseIntrinsics),
      ...(statement.Condition === undefined ? {} : { Condition: normaliseIntrinsics(statement.Condition) }),
    }));
}

/**
 * A role's own inline policy statements (not the policies the CDK attaches beside it, such as
 * the X-Ray one), in order, as statementShapes writes them.
 */
export function inlineStatementShapes(template: Json, roleId: string): Json[] {
  const policies = asList<Json>(template.Resources[roleId].Properties.Policies);
  if (policies.length !== 1) {
    throw new Error(`${roleId} has ${policies.length} inline policies, not one`);
  }
  return asList<Statement>(policies[0].PolicyDocument.Statement).map((statement) => ({
    Sid: statement.Sid,
    Action: asList(statement.Action),
    Resource: asList(statement.Resource).map(normaliseIntrinsics),
    ...(statement.Condition === undefined ? {} : { Condition: normaliseIntrinsics(statement.Condition) }),
  }));
}

/** The `${Name}` placeholders of a state machine definition. */
export function placeholders(definitionFile: string): string[] {
  const text = fs.readFileSync(definitionFile, 'utf8');
  return [...new Set([...text.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]))].sort();
}

function requireValue<T>(value: T | undefined, message: string): T {
  if (value === undefined) {
    throw new Error(message);
  }
  return value;
}
