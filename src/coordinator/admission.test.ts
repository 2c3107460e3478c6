import { describe, expect, it } from 'vitest';
import { Admission } from './admission.js';

const never = (): AbortSignal => new AbortController().signal;

describe('Admission', () => {
  it('admits up to the limit at once, then queues in arrival order', async () => {
    const gate = new Admission(2);
    expect(gate.tryEnter()).toBe(true);
    await gate.enter(never());
    expect(gate.running).toBe(2);
    expect(gate.free).toBe(false);
    expect(gate.tryEnter()).toBe(false);

    const order: number[] = [];
    const third = gate.enter(never()).then(() => order.push(3));
    const fourth = gate.enter(never()).then(() => order.push(4));
    expect(gate.queued).toBe(2);

    gate.release();
    await third;
    expect(order).toEqual([3]);
    expect(gate.running).toBe(2); // the slot went to the waiter
    // A newcomer does not overtake the one still waiting.
    expect(gate.tryEnter()).toBe(false);

    gate.release();
    await fourth;
    expect(order).toEqual([3, 4]);
    gate.release();
    gate.release();
    expect(gate.running).toBe(0);
    expect(gate.free).toBe(true);
  });

  it('lets an aborted waiter leave the line with the abort reason', async () => {
    const gate = new Admission(1);
    gate.tryEnter();
    const controller = new AbortController();
    const leaving = gate.enter(controller.signal);
    const staying = gate.enter(never());
    const reason = new Error('deadline');
    controller.abort(reason);
    await expect(leaving).rejects.toBe(reason);
    expect(gate.queued).toBe(1);
    gate.release();
    await staying;
    expect(gate.running).toBe(1);
    await expect(gate.enter(controller.signal)).rejects.toBe(reason);
  });

  it('refuses every waiter on clear', async () => {
    const gate = new Admission(1);
    gate.tryEnter();
    const waiting = [gate.enter(never()), gate.enter(never())];
    const closed = new Error('closed');
    gate.clear(closed);
    for (const w of waiting) await expect(w).rejects.toBe(closed);
    expect(gate.queued).toBe(0);
    gate.release();
    expect(gate.free).toBe(true);
  });
});
