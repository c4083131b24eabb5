import { MasktallyError } from "../protocol/index.ts";

/** A runtime failure of the edge program (hardware that does not answer, an IO plugin that is missing…). */
export class FirmwareError extends MasktallyError {}
