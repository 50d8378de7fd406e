import { UserError } from "../common/errors.ts";

/** A configuration, or an export option, that Kubernetes cannot express: one line for the user. */
export class ExportError extends UserError {}
