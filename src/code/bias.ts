// The Tardos bias lives with the scoring that depends on its exact distribution.
export * from '../attribution/bias.js';
