import { ApiError, GrpcCode } from "../http/errors.js";

/** An invalid input error from template/package handling: external message + internal chain. */
export function specError(external: string, cause = "pipeline spec is invalid"): ApiError {
  return new ApiError(GrpcCode.InvalidArgument, external, `InvalidInputError: ${external}: ${cause}`);
}
