import { z } from 'zod';
import { ENGINE_CONTRACTS, type ToolContract } from '../contracts/engines.js';
import type { Role } from '../contracts/models.js';
import { ContractMismatchError } from './errors.js';

/** The part of a tools/list entry the check reads. */
export interface ListedTool {
  name: string;
  inputSchema: { type?: unknown; properties?: unknown; required?: unknown };
}

type JsonSchema = Record<string, unknown>;

const contractSchemas = new Map<string, JsonSchema>();

function contractInputSchema(role: Role, tool: string, contract: ToolContract): JsonSchema {
  const key = `${role}/${tool}`;
  let schema = contractSchemas.get(key);
  if (schema === undefined) {
    schema = z.toJSONSchema(contract.input, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    contractSchemas.set(key, schema);
  }
  return schema;
}

function asRecord(value: unknown): JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonSchema) : {};
}

function asStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The JSON types a schema admits, or undefined when it does not say (refs, `{}`): then anything goes. */
function schemaTypes(schema: JsonSchema): Set<string> | undefined {
  if (typeof schema.type === 'string') return new Set([schema.type]);
  if (Array.isArray(schema.type)) return new Set(asStrings(schema.type));
  const alternatives = Array.isArray(schema.anyOf)
    ? schema.anyOf
    : Array.isArray(schema.oneOf)
      ? schema.oneOf
      : [];
  if (alternatives.length === 0) return undefined;
  const types = new Set<string>();
  for (const alternative of alternatives) {
    const sub = schemaTypes(asRecord(alternative));
    if (sub === undefined) return undefined;
    for (const t of sub) types.add(t);
  }
  return types;
}

function typesCompatible(contract: Set<string> | undefined, engine: Set<string> | undefined): boolean {
  if (contract === undefined || engine === undefined) return true;
  for (const t of contract) {
    if (engine.has(t)) return true;
    if (t === 'integer' && engine.has('number')) return true;
    if (t === 'number' && engine.has('integer')) return true;
  }
  return false;
}

function describeTypes(types: Set<string> | undefined): string {
  return types === undefined ? 'any' : [...types].join('|');
}

/** Problems found comparing an engine's tools with its role contract; empty when it conforms. */
export function contractProblems(role: Role, tools: readonly ListedTool[]): string[] {
  const problems: string[] = [];
  const listed = new Map(tools.map((t) => [t.name, t]));
  const contracts: Record<string, ToolContract> = ENGINE_CONTRACTS[role];
  for (const [toolName, contract] of Object.entries(contracts)) {
    const tool = listed.get(toolName);
    if (tool === undefined) {
      problems.push(`missing tool ${toolName}`);
      continue;
    }
    const expected = contractInputSchema(role, toolName, contract);
    const expectedProps = asRecord(expected.properties);
    const actualProps = asRecord(tool.inputSchema.properties);
    const actualRequired = asStrings(tool.inputSchema.required);
    for (const field of asStrings(expected.required)) {
      if (!(field in actualProps)) {
        problems.push(`tool ${toolName}: inputSchema lacks required field "${field}"`);
        continue;
      }
      const want = schemaTypes(asRecord(expectedProps[field]));
      const got = schemaTypes(asRecord(actualProps[field]));
      if (!typesCompatible(want, got)) {
        problems.push(
          `tool ${toolName}: field "${field}" has type ${describeTypes(got)}, contract needs ${describeTypes(want)}`,
        );
      }
    }
    for (const field of actualRequired) {
      if (!(field in expectedProps)) {
        problems.push(`tool ${toolName}: requires field "${field}" that the contract does not provide`);
      }
    }
  }
  return problems;
}

/** Throws ContractMismatchError naming the engine and each missing tool or field. */
export function assertContract(engine: string, role: Role, tools: readonly ListedTool[]): void {
  const problems = contractProblems(role, tools);
  if (problems.length > 0) throw new ContractMismatchError(engine, problems);
}
