/** The three API versions the emulator serves (a leaf module: the router and the request context both use it). */
export type ApiVersion = "v1beta1" | "v2beta1" | "v2";
export const ALL_V2: readonly ApiVersion[] = ["v2beta1", "v2"];
