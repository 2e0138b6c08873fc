import { describe, expect, it } from 'vitest';
import { transitionEvents } from '../../src/services/command-log.js';

const now = new Date('2026-11-29T12:00:00Z');

describe('the lifecycle lines of a change the rollout driver made', () => {
  it('tells a start, a pause, a resume and an end', () => {
    expect(transitionEvents('PENDING', { state: 'RUNNING', startedAt: now })).toEqual([{ event: 'command started', state: 'RUNNING' }]);
    expect(transitionEvents('RUNNING', { state: 'PAUSED' })).toEqual([{ event: 'command paused', state: 'PAUSED' }]);
    expect(transitionEvents('PAUSED', { state: 'RUNNING' })).toEqual([{ event: 'command resumed', state: 'RUNNING' }]);
    expect(transitionEvents('PAUSED', { state: 'RUNNING', promotedAt: now })).toEqual([{ event: 'command promoted', state: 'RUNNING' }]);
    // Held for its canary, then paused by its failure budget (a canary worker crashed): paused again.
    expect(transitionEvents('PAUSED', { state: 'PAUSED' }, { reason: 'FAILURE_BUDGET', since: now, by: null })).toEqual([{ event: 'command paused', state: 'PAUSED' }]);
    expect(transitionEvents('PAUSED', { state: 'PAUSED' })).toEqual([]);
    expect(transitionEvents('RUNNING', { state: 'SUCCEEDED' })).toEqual([{ event: 'command finished', state: 'SUCCEEDED' }]);
    expect(transitionEvents('RUNNING', {})).toEqual([]);
  });

  it('tells both the start and the pause of a command paused before its first batch, in that order', () => {
    expect(transitionEvents('PENDING', { state: 'PAUSED', startedAt: now })).toEqual([
      { event: 'command started', state: 'RUNNING' },
      { event: 'command paused', state: 'PAUSED' },
    ]);
    // Started with no worker left to restart: started, then finished.
    expect(transitionEvents('PENDING', { state: 'SUCCEEDED', startedAt: now }).map((e) => e.event)).toEqual(['command started', 'command finished']);
  });

  it('tells no start for a command cancelled before it ever started', () => {
    expect(transitionEvents('PENDING', { state: 'CANCELLED' })).toEqual([{ event: 'command cancelled', state: 'CANCELLED' }]);
  });
});
