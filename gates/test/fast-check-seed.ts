import fc from "fast-check";

/**
 * Every property test runs from one seed, so that CI judges the same cases each run and a failure
 * reproduces; fast-check prints the seed and the shrunk counterexample when a property fails.
 * A test that names its own seed keeps it.
 */
fc.configureGlobal({ seed: 20_261_207 });
