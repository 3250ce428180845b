/**
 * Cron parsing and fire times against robfig/cron v1.2.0 (the library KFP's server and ScheduledWorkflow
 * controller use). The expectations below were produced by running robfig/cron v1.2.0 `cron.Parse` and
 * `Schedule.Next` (UTC) over the same specs and start times: `number[]` = next fire (unix seconds,
 * -1 = none within five years) for each start time in FROM, `string` = the exact parse error.
 */
import { describe, expect, it } from "vitest";
import { CronError, cronError, parseCron, parseGoDuration } from "../../packages/emulator/src/engine/cron.js";

const FROM = [0, 1700000000, 1709251199, 1735689599, 1740787200, 951782400, 1704067200 + 86400 * 59];

const ROBFIG_V1_2_0: [string, number[] | string][] = [
  ["0 0 9 ? * 2-6", [32400, 1700038800, 1709283600, 1735722000, 1740819600, 951814800, 1709197200]],
  ["*/5 * * * *", [5, 1700000005, 1709251200, 1735689600, 1740787205, 951782405, 1709164805]],
  ["0 */15 * * * *", [900, 1700000100, 1709251200, 1735689600, 1740788100, 951783300, 1709165700]],
  ["1 * * ", "Expected 5 to 6 fields, found 3: 1 * * "],
  ["", "Empty spec string"],
  ["@daily", [86400, 1700006400, 1709251200, 1735689600, 1740873600, 951868800, 1709251200]],
  ["@hourly", [3600, 1700002800, 1709251200, 1735689600, 1740790800, 951786000, 1709168400]],
  ["@weekly", [259200, 1700352000, 1709424000, 1736035200, 1740873600, 952214400, 1709424000]],
  ["@monthly", [2678400, 1701388800, 1709251200, 1735689600, 1743465600, 951868800, 1709251200]],
  ["@yearly", [31536000, 1704067200, 1735689600, 1735689600, 1767225600, 978307200, 1735689600]],
  ["@annually", [31536000, 1704067200, 1735689600, 1735689600, 1767225600, 978307200, 1735689600]],
  ["@midnight", [86400, 1700006400, 1709251200, 1735689600, 1740873600, 951868800, 1709251200]],
  ["@every 1h30m", [5400, 1700005400, 1709256599, 1735694999, 1740792600, 951787800, 1709170200]],
  ["@every 90s", [90, 1700000090, 1709251289, 1735689689, 1740787290, 951782490, 1709164890]],
  ["@every 500ms", [1, 1700000001, 1709251200, 1735689600, 1740787201, 951782401, 1709164801]],
  ["@every 1d", 'Failed to parse duration @every 1d: time: unknown unit "d" in duration "1d"'],
  ["@every ", 'Failed to parse duration @every : time: invalid duration ""'],
  ["@every x", 'Failed to parse duration @every x: time: invalid duration "x"'],
  ["@every 1.5h", [5400, 1700005400, 1709256599, 1735694999, 1740792600, 951787800, 1709170200]],
  ["@every -5s", [1, 1700000001, 1709251200, 1735689600, 1740787201, 951782401, 1709164801]],
  ["@reboot", "Unrecognized descriptor: @reboot"],
  ["@daily ", "Unrecognized descriptor: @daily "],
  ["0 0 0 30 2 *", [-1, -1, -1, -1, -1, -1, -1]],
  ["0 0 0 31 * *", [2592000, 1703980800, 1711843200, 1738281600, 1743379200, 954460800, 1711843200]],
  ["0 0 0 29 2 *", [68169600, 1709164800, 1835395200, 1835395200, 1835395200, 1078012800, 1835395200]],
  ["0 0 12 * JAN-MAR MON", [388800, 1704110400, 1709553600, 1736164800, 1741003200, 952344000, 1709553600]],
  ["0 0 12 1 * MON", [43200, 1700481600, 1709294400, 1735732800, 1740830400, 951912000, 1709294400]],
  ["0 30 8 1,15 * *", [30600, 1700037000, 1709281800, 1735720200, 1740817800, 951899400, 1709281800]],
  ["0 0 0 * * SUN", [259200, 1700352000, 1709424000, 1736035200, 1740873600, 952214400, 1709424000]],
  ["5-10/2 * * * * *", [5, 1700000045, 1709251205, 1735689605, 1740787205, 951782405, 1709164805]],
  ["60 * * * * *", "End of range (60) above maximum (59): 60"],
  ["* 60 * * * *", "End of range (60) above maximum (59): 60"],
  ["* * 24 * * *", "End of range (24) above maximum (23): 24"],
  ["* * * 0 * *", "Beginning of range (0) below minimum (1): 0"],
  ["* * * 32 * *", "End of range (32) above maximum (31): 32"],
  ["* * * * 13 *", "End of range (13) above maximum (12): 13"],
  ["* * * * 0 *", "Beginning of range (0) below minimum (1): 0"],
  ["* * * * * 7", "End of range (7) above maximum (6): 7"],
  ["1-2-3 * * * * *", "Too many hyphens: 1-2-3"],
  ["*/0 * * * * *", "Step of range should be a positive number: */0"],
  ["1/2/3 * * * * *", "Too many slashes: 1/2/3"],
  ["a * * * * *", 'Failed to parse int from a: strconv.Atoi: parsing "a": invalid syntax'],
  ["-1 * * * * *", 'Failed to parse int from : strconv.Atoi: parsing "": invalid syntax'],
  ["10-5 * * * * *", "Beginning of range (10) beyond end of range (5): 10-5"],
  [
    "99999999999999999999 * * * * *",
    'Failed to parse int from 99999999999999999999: strconv.Atoi: parsing "99999999999999999999": value out of range',
  ],
  ["+5 * * * * *", [5, 1700000045, 1709251205, 1735689605, 1740787205, 951782405, 1709164805]],
  ["0 0 0 1 1 * *", "Expected 5 to 6 fields, found 7: 0 0 0 1 1 * *"],
  ["0 0 0 ? * ?", [86400, 1700006400, 1709251200, 1735689600, 1740873600, 951868800, 1709251200]],
  ["0 0 0 1 * ?", [2678400, 1701388800, 1709251200, 1735689600, 1743465600, 951868800, 1709251200]],
  ["7/10 * * * * *", [7, 1700000007, 1709251207, 1735689607, 1740787207, 951782407, 1709164807]],
  ["0 0 0 * * mon,fri", [86400, 1700179200, 1709251200, 1735862400, 1740960000, 952041600, 1709251200]],
  ["0 0 0 * FEB *", [2678400, 1706745600, 1738368000, 1738368000, 1769904000, 980985600, 1738368000]],
  ["0 0 0 L * *", 'Failed to parse int from L: strconv.Atoi: parsing "L": invalid syntax'],
  ["0,,30 * * * * *", [30, 1700000010, 1709251200, 1735689600, 1740787230, 951782430, 1709164830]],
  [" @daily", "Expected 5 to 6 fields, found 1:  @daily"],
  ["0\t0 0 * * *", [86400, 1700006400, 1709251200, 1735689600, 1740873600, 951868800, 1709251200]],
  ["5 4 * * *", [245, 1700003045, 1709251445, 1735689845, 1740787445, 951782645, 1709165045]],
  ["0 0 0 15 * 1-5", [86400, 1700006400, 1709251200, 1735689600, 1740960000, 951868800, 1709251200]],
  ["*/7 */7 * * * *", [7, 1700000040, 1709251200, 1735689600, 1740787207, 951782407, 1709164807]],
];

describe("cron (robfig/cron v1.2.0 semantics)", () => {
  it.each(ROBFIG_V1_2_0)("%j", (spec, expected) => {
    if (typeof expected === "string") {
      expect(() => parseCron(spec)).toThrow(CronError);
      expect(cronError(spec)).toBe(expected);
      return;
    }
    expect(cronError(spec)).toBeUndefined();
    const s = parseCron(spec);
    expect(FROM.map((f) => s.next(f) ?? -1)).toEqual(expected);
  });

  it("reads five fields seconds-first: a Unix-style */5 means every 5 seconds", () => {
    const s = parseCron("*/5 * * * *");
    expect(s.next(1_700_000_000)).toBe(1_700_000_005);
    expect(s.next(1_700_000_005)).toBe(1_700_000_010);
  });

  it("six fields with ? and weekday ranges (the KFP docs example)", () => {
    // 0 0 9 ? * 2-6: 09:00:00 Tuesday..Saturday. 2024-03-01 is a Friday.
    const s = parseCron("0 0 9 ? * 2-6");
    const fri = Date.UTC(2024, 2, 1, 10, 0, 0) / 1000;
    const next = s.next(fri)!;
    expect(new Date(next * 1000).toISOString()).toBe("2024-03-02T09:00:00.000Z"); // Saturday
    expect(new Date(s.next(next)! * 1000).toISOString()).toBe("2024-03-05T09:00:00.000Z"); // Tuesday
  });

  it("names are case-insensitive", () => {
    expect(cronError("0 0 0 * jan,Feb mOn-fri")).toBeUndefined();
  });

  it("rejects too few / too many fields with robfig's message", () => {
    expect(cronError("* * * *")).toBe("Expected 5 to 6 fields, found 4: * * * *");
    expect(cronError("* * * * * * *")).toBe("Expected 5 to 6 fields, found 7: * * * * * * *");
  });

  it("parses Go durations", () => {
    expect(parseGoDuration("1h30m")).toBe(5_400_000_000_000n);
    expect(parseGoDuration("1.5s")).toBe(1_500_000_000n);
    expect(parseGoDuration("-2m")).toBe(-120_000_000_000n);
    expect(parseGoDuration("0")).toBe(0n);
    expect(() => parseGoDuration("5")).toThrow('time: missing unit in duration "5"');
    expect(() => parseGoDuration("1w")).toThrow('time: unknown unit "w" in duration "1w"');
  });
});
