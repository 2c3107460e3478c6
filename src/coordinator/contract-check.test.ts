import { expect, it } from 'vitest';
import { z } from 'zod';
import { ENGINE_CONTRACTS } from '../contracts/engines.js';
import { assertContract, contractProblems, type ListedTool } from './contract-check.js';

function listed(role: keyof typeof ENGINE_CONTRACTS): ListedTool[] {
  return Object.entries(ENGINE_CONTRACTS[role]).map(([name, c]) => ({
    name,
    inputSchema: z.toJSONSchema(c.input, { io: 'input' }) as ListedTool['inputSchema'],
  }));
}

it('accepts the contract itself for every role', () => {
  for (const role of Object.keys(ENGINE_CONTRACTS) as (keyof typeof ENGINE_CONTRACTS)[]) {
    expect(contractProblems(role, listed(role))).toEqual([]);
  }
});

it('names a missing tool, a missing required field, a wrong type and an extra required field', () => {
  const tools = listed('coding').filter((t) => t.name !== 'code_fix');
  const analyze = tools.find((t) => t.name === 'code_analyze')!;
  analyze.inputSchema = { type: 'object', properties: {}, required: [] };
  const generate = tools.find((t) => t.name === 'code_generate')!;
  generate.inputSchema = {
    ...generate.inputSchema,
    properties: { ...(generate.inputSchema.properties as object), workspace: { type: 'number' }, token: {} },
    required: ['requirements', 'workspace', 'token'],
  };
  expect(contractProblems('coding', tools)).toEqual([
    'tool code_generate: field "workspace" has type number, contract needs string',
    'tool code_generate: requires field "token" that the contract does not provide',
    'missing tool code_fix',
    'tool code_analyze: inputSchema lacks required field "workspace"',
  ]);
  expect(() => assertContract('kilo', 'coding', tools)).toThrow(
    /engine "kilo" does not satisfy its contract: /,
  );
});

it('treats integer and number as compatible and untyped schemas as anything', () => {
  const tools = listed('monitoring');
  const start = tools.find((t) => t.name === 'monitor_start')!;
  start.inputSchema = { type: 'object', properties: { deployment: {} }, required: ['deployment'] };
  expect(contractProblems('monitoring', tools)).toEqual([]);
});
