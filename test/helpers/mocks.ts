/** The tests' mock harness is the offline harness the plan and the benchmark use. */
export * from "../../tools/offline-mocks";
