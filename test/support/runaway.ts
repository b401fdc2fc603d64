import { createHash } from 'node:crypto';

/**
 * A process for the backstop's tests: `Hang` runs until the wall-clock backstop stops it, `Get`
 * answers at once. Gas meters C loops such as a backtracking pattern (docs/limits.md), which end
 * out of gas, but not the work inside one VM instruction: comparing two distinct 32 MiB strings is
 * one instruction and a 32 MiB memcmp, so the `Hang` loop runs until the backstop.
 */
export const RUNAWAY_CODE = `
Handlers.add("Hang", "Hang", function(msg)
  local a, b = string.rep("a", 2^25), string.rep("a", 2^25)
  while true do if a == b then N = N end end
end)
Handlers.add("Get", "Get", function(msg) msg.reply({ Data = "alive " .. ao.id }) end)
`;

/** The API evaluation thread a process's dry-runs go to first, of `threads`. */
export const apiThreadOf = (pid: string, threads: number) => createHash('sha256').update(pid).digest().readUInt32BE(0) % threads;
