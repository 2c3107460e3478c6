import { describe, expect, it } from 'vitest';
import { RequirementsSpec } from '../../contracts/requirements.js';
import type { EngineToolContext } from '../brain.js';
import { offlineBrain } from './offline.js';

const ctx: EngineToolContext = {
  idempotencyKey: undefined,
  signal: new AbortController().signal,
  progress: async () => {},
};

async function entities(text: string) {
  const spec = RequirementsSpec.parse(await offlineBrain.requirements_analyze!({ text }, ctx));
  return Object.fromEntries(spec.entities.map((e) => [e.name, e.fields.map((f) => `${f.name}:${f.type}`)]));
}

describe('English tagging repairs', () => {
  // compromise tags "tasks" after "add" as a verb; the fields that follow must not be lost.
  it('keeps the fields of an action object that the tagger read as a verb', async () => {
    expect(await entities('Users add tasks with a title and a due date.')).toEqual({
      Task: ['title:string', 'dueDate:date'],
    });
    expect(await entities('Users list tasks and delete tasks.')).toEqual({ Task: [] });
  });

  it('leaves real verbs alone', async () => {
    expect(await entities('Librarians add books with title, author and ISBN.')).toEqual({
      Book: ['title:string', 'author:string', 'isbn:string'],
    });
  });
});
