import { describe, expect, it } from "vitest";
import { checkCron, parseGoDuration, unixCronToKfp } from "../../packages/kfp-ts/src/core/schedule.js";

describe("checkCron (robfig/cron v1.2.0 rules)", () => {
  it("accepts 6-field, 5-field (seconds-first) and descriptors", () => {
    expect(checkCron("0 0 9 ? * 2-6")).toEqual({ fields: 6 });
    expect(checkCron("0 */5 * * * *")).toEqual({ fields: 6 });
    expect(checkCron("*/5 * * * *")).toEqual({ fields: 5 });
    expect(checkCron("0 0 1 * jan,JUL mon-fri")).toEqual({ fields: 6 });
    expect(checkCron("0 0 1 * jan")).toEqual({ fields: 5 });
    // A Unix-style line with names in the last two fields is shifted by one field and rejected.
    expect(checkCron("0 1 * jan mon").error).toBe(
      'Failed to parse int from jan: strconv.Atoi: parsing "jan": invalid syntax',
    );
    expect(checkCron("5/15 0 0 * * *")).toEqual({ fields: 6 });
    for (const d of [
      "@hourly",
      "@daily",
      "@midnight",
      "@weekly",
      "@monthly",
      "@yearly",
      "@annually",
      "@every 1h30m",
    ]) {
      expect(checkCron(d), d).toEqual({ fields: 0 });
    }
  });

  it("rejects what the server rejects, with robfig's message", () => {
    expect(checkCron("").error).toBe("Empty spec string");
    expect(checkCron("* * * *").error).toBe("Expected 5 to 6 fields, found 4: * * * *");
    expect(checkCron("0 0 0 * * * *").error).toMatch(/found 7/);
    expect(checkCron("60 * * * * *").error).toBe("End of range (60) above maximum (59): 60");
    expect(checkCron("0 0 0 0 * *").error).toBe("Beginning of range (0) below minimum (1): 0");
    expect(checkCron("0 0 5-2 * * *").error).toBe("Beginning of range (5) beyond end of range (2): 5-2");
    expect(checkCron("0 0 */0 * * *").error).toBe("Step of range should be a positive number: */0");
    expect(checkCron("0 0 1-2-3 * * *").error).toBe("Too many hyphens: 1-2-3");
    expect(checkCron("0 0 1/2/3 * * *").error).toBe("Too many slashes: 1/2/3");
    expect(checkCron("0 0 x * * *").error).toMatch(/Failed to parse int from x/);
    expect(checkCron("0 0 0 * * 7").error).toBe("End of range (7) above maximum (6): 7");
    expect(checkCron("@fortnightly").error).toBe("Unrecognized descriptor: @fortnightly");
    expect(checkCron("@every 10").error).toMatch(/missing unit/);
    expect(checkCron("@every 1y").error).toMatch(/unknown unit "y"/);
  });
});

describe("Go's rules the server follows", () => {
  it("splits fields on Unicode white space as strings.Fields does, but not on U+FEFF", () => {
    expect(checkCron("0\u00850 0 * * *").error).toBeUndefined();
    expect(checkCron("0\u30000 0 * * *").error).toBeUndefined();
    // U+FEFF is not white space for Go (unicode.IsSpace): "0\uFEFF0" is one field, quoted as Go does.
    expect(checkCron("0\ufeff0 0 * * *").error).toBe(
      'Failed to parse int from 0\ufeff0: strconv.Atoi: parsing "0\\ufeff0": invalid syntax',
    );
  });

  it("numbers beyond int64 are Atoi's 'value out of range'; durations beyond int64 ns are invalid", () => {
    expect(checkCron("99999999999999999999 * * * * *").error).toBe(
      'Failed to parse int from 99999999999999999999: strconv.Atoi: parsing "99999999999999999999": value out of range',
    );
    expect(checkCron("@every 99999999999999999999h").error).toBe(
      'Failed to parse duration @every 99999999999999999999h: time: invalid duration "99999999999999999999h"',
    );
    expect(checkCron("@every 2562047h").error).toBeUndefined();
    expect(checkCron("@every 2562048h").error).toBe(
      'Failed to parse duration @every 2562048h: time: invalid duration "2562048h"',
    );
  });
});

describe("parseGoDuration", () => {
  it("parses Go durations in seconds", () => {
    expect(parseGoDuration("1h30m")).toBe(5400);
    expect(parseGoDuration("1.5s")).toBe(1.5);
    expect(parseGoDuration("250ms")).toBeCloseTo(0.25);
    expect(parseGoDuration("-2m")).toBe(-120);
    expect(parseGoDuration("0")).toBe(0);
    expect(() => parseGoDuration("")).toThrow(/invalid duration/);
    expect(() => parseGoDuration(".s")).toThrow(/invalid duration/);
  });
});

describe("unixCronToKfp", () => {
  it("prepends a seconds field and maps Sunday=7 to 0", () => {
    expect(unixCronToKfp("*/5 * * * *")).toBe("0 */5 * * * *");
    expect(unixCronToKfp("30 9 * * 1-5")).toBe("0 30 9 * * 1-5");
    expect(unixCronToKfp("0 0 * * 7")).toBe("0 0 0 * * 0");
    expect(unixCronToKfp("0 0 * * 5-7")).toBe("0 0 0 * * 5-6,0");
    expect(unixCronToKfp("0 0 0 * * *")).toBeUndefined();
    expect(checkCron(unixCronToKfp("0 0 * * 5-7")!)).toEqual({ fields: 6 });
  });
});
