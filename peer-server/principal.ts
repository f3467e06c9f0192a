/** Who a relay connection speaks for: defined with the pure rules that judge it (src/core). */
export { isOperator, type Principal, type PrincipalRole } from "../src/core/principal.ts"
