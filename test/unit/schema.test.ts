import { readFileSync } from 'node:fs';
import {
  buildSchema,
  type DefinitionNode,
  type FieldDefinitionNode,
  type GraphQLField,
  type GraphQLInputField,
  GraphQLEnumType,
  GraphQLInputObjectType,
  GraphQLInterfaceType,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLUnionType,
  type InputValueDefinitionNode,
  Kind,
  parse,
  print,
  validate,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { printedSchema, SCHEMA_FILE } from '../../src/graphql/schema.js';

/** The public contract, in the repository: its `graphql` blocks are the names clients rely on. */
const CONTRACT_FILE = new URL('../../docs/api.md', import.meta.url);

/** Every ```graphql block of a markdown text, parsed as SDL (comments allowed, `extend type` for a root type's second half). */
function contractDefinitions(markdown: string): DefinitionNode[] {
  const blocks = [...markdown.matchAll(/^```graphql\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
  return blocks.flatMap((sdl, i) => {
    try {
      return [...parse(sdl, { noLocation: true }).definitions];
    } catch (e) {
      throw new Error(`docs/api.md, graphql block ${i + 1} is not valid SDL: ${(e as Error).message}`);
    }
  });
}

/** What the contract names that the schema lacks, or types differently: one line each. */
function contractGaps(markdown: string, sdl: string): string[] {
  const schema = buildSchema(sdl);
  const gaps: string[] = [];
  const args = (where: string, declared: readonly InputValueDefinitionNode[] | undefined, actual: GraphQLField<unknown, unknown>) => {
    for (const a of declared ?? []) {
      const found = actual.args.find((x) => x.name === a.name.value);
      if (!found) gaps.push(`${where}(${a.name.value}:) is not in schema.graphql`);
      else if (String(found.type) !== print(a.type)) gaps.push(`${where}(${a.name.value}:) is ${found.type} in schema.graphql, ${print(a.type)} in docs/api.md`);
    }
  };
  const fields = (typeName: string, declared: readonly (FieldDefinitionNode | InputValueDefinitionNode)[] | undefined, actual: Record<string, GraphQLField<unknown, unknown> | GraphQLInputField>) => {
    for (const f of declared ?? []) {
      const where = `${typeName}.${f.name.value}`;
      const found = actual[f.name.value];
      if (!found) {
        gaps.push(`${where} is not in schema.graphql`);
        continue;
      }
      if (String(found.type) !== print(f.type)) gaps.push(`${where} is ${found.type} in schema.graphql, ${print(f.type)} in docs/api.md`);
      if (f.kind === Kind.FIELD_DEFINITION) args(where, f.arguments, found as GraphQLField<unknown, unknown>);
    }
  };
  for (const d of contractDefinitions(markdown)) {
    if (!('name' in d) || !d.name) continue;
    const name = d.name.value;
    const type = schema.getType(name);
    if (!type) {
      gaps.push(`type ${name} is not in schema.graphql`);
      continue;
    }
    switch (d.kind) {
      case Kind.OBJECT_TYPE_DEFINITION:
      case Kind.OBJECT_TYPE_EXTENSION:
      case Kind.INTERFACE_TYPE_DEFINITION: {
        const wanted = d.kind === Kind.INTERFACE_TYPE_DEFINITION ? GraphQLInterfaceType : GraphQLObjectType;
        if (!(type instanceof wanted)) {
          gaps.push(`${name} is not ${d.kind === Kind.INTERFACE_TYPE_DEFINITION ? 'an interface' : 'an object type'} in schema.graphql`);
          break;
        }
        const t = type as GraphQLObjectType | GraphQLInterfaceType;
        for (const i of d.interfaces ?? []) {
          if (!t.getInterfaces().some((x) => x.name === i.name.value)) gaps.push(`${name} does not implement ${i.name.value} in schema.graphql`);
        }
        fields(name, d.fields, t.getFields());
        break;
      }
      case Kind.INPUT_OBJECT_TYPE_DEFINITION:
        if (!(type instanceof GraphQLInputObjectType)) gaps.push(`${name} is not an input type in schema.graphql`);
        else fields(name, d.fields, type.getFields());
        break;
      case Kind.ENUM_TYPE_DEFINITION:
        if (!(type instanceof GraphQLEnumType)) gaps.push(`${name} is not an enum in schema.graphql`);
        else for (const v of d.values ?? []) if (!type.getValue(v.name.value)) gaps.push(`${name}.${v.name.value} is not in schema.graphql`);
        break;
      case Kind.UNION_TYPE_DEFINITION:
        if (!(type instanceof GraphQLUnionType)) gaps.push(`${name} is not a union in schema.graphql`);
        else for (const m of d.types ?? []) if (!type.getTypes().some((x) => x.name === m.name.value)) gaps.push(`${name} has no member ${m.name.value} in schema.graphql`);
        break;
      case Kind.SCALAR_TYPE_DEFINITION:
        if (!(type instanceof GraphQLScalarType)) gaps.push(`${name} is not a scalar in schema.graphql`);
        break;
      default:
        gaps.push(`${name}: docs/api.md may hold type definitions only`);
    }
  }
  return gaps;
}

/** The root fields of the schema that no `graphql` block of the contract declares. */
function undocumentedRootFields(markdown: string, sdl: string): string[] {
  const schema = buildSchema(sdl);
  const declared = new Set<string>();
  for (const d of contractDefinitions(markdown)) {
    if ((d.kind === Kind.OBJECT_TYPE_DEFINITION || d.kind === Kind.OBJECT_TYPE_EXTENSION) && ['Query', 'Mutation', 'Subscription'].includes(d.name.value)) {
      for (const f of d.fields ?? []) declared.add(`${d.name.value}.${f.name.value}`);
    }
  }
  const missing: string[] = [];
  for (const root of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
    for (const f of Object.keys(root?.getFields() ?? {})) if (!declared.has(`${root!.name}.${f}`)) missing.push(`${root!.name}.${f}`);
  }
  return missing;
}

describe('schema.graphql', () => {
  it('is what the code generates (run `npm run schema` after changing the schema)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(printedSchema());
  });
});

describe('the public contract, docs/api.md', () => {
  const contract = readFileSync(CONTRACT_FILE, 'utf8');

  it('names only what schema.graphql has, with the same types: every type, field, argument, enum value and union member of its graphql blocks', () => {
    expect(contractGaps(contract, printedSchema())).toEqual([]);
  });

  it('declares every query, mutation and subscription of the schema', () => {
    expect(undocumentedRootFields(contract, printedSchema())).toEqual([]);
  });

  it('keeps the names clients were written against', () => {
    const names = new Set(contractDefinitions(contract).flatMap((d) => ('name' in d && d.name ? [d.name.value] : [])));
    for (const name of [
      'Query', 'Mutation', 'Subscription', 'Node', 'Error', 'Viewer', 'System', 'ClusterHealth', 'Cluster', 'Manager', 'Worker', 'Command', 'ManagerTask',
      'ArtifactVersionCount', 'ManagerOperation', 'Artifact', 'DeployedArtifact', 'Stats', 'RolloutStrategy', 'RolloutStrategyInput', 'ArtifactInput', 'CommandStep',
      'Progress', 'CommandPayload', 'CommandResult', 'OperationResult', 'OperationPayload', 'WorkerInput', 'RegisterManagerInput', 'RegisterManagerPayload',
      'MembershipEventInput', 'MembershipEvent', 'TopologyEvent', 'ApiToken', 'ApiTokenPayload', 'CreateApiTokenResult', 'TaskAction', 'TaskState', 'StepState',
      'CommandState', 'CommandKind', 'FailureAction', 'MembershipChange', 'TopologyChange', 'WorkerState', 'Role', 'DateTime', 'JSON',
    ]) {
      expect(names.has(name), name).toBe(true);
    }
  });

  it('finds a name the schema lacks, a changed type and a missing enum value (the check itself)', () => {
    const sdl = 'type Query { a(x: Int): Int! }\nenum E { A }\nunion U = Query';
    const md = '```graphql\ntype Query { a(x: String, y: Int): Int! b: Int }\nenum E { A B }\nunion U = Query | Missing\ntype Gone { id: ID }\n```\n';
    expect(contractGaps(md, sdl)).toEqual([
      'Query.a(x:) is Int in schema.graphql, String in docs/api.md',
      'Query.a(y:) is not in schema.graphql',
      'Query.b is not in schema.graphql',
      'E.B is not in schema.graphql',
      'U has no member Missing in schema.graphql',
      'type Gone is not in schema.graphql',
    ]);
  });
});

describe('the examples of the guides', () => {
  it('every graphql block of docs/manager-protocol.md is a valid operation against schema.graphql', () => {
    const schema = buildSchema(printedSchema());
    const markdown = readFileSync(new URL('../../docs/manager-protocol.md', import.meta.url), 'utf8');
    const blocks = [...markdown.matchAll(/^```graphql\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThan(3);
    for (const block of blocks) expect(validate(schema, parse(block)).map((e) => e.message), block).toEqual([]);
  });
});
