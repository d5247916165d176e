/** How many places of one standing area. */
export interface PlaceCount {
  areaID: string;
  quantity: number;
}

/**
 * Splits held or released rows into named seats and places counted per area (in the order of
 * `areaOrder`, areas with none left out). `areaOf` tells which rows are places.
 */
export function splitPlaces(
  ids: readonly string[],
  areaOf: ReadonlyMap<string, string>,
  areaOrder: readonly string[],
): { seatIDs: string[]; places: PlaceCount[] } {
  const seatIDs: string[] = [];
  const counts = new Map<string, number>();
  for (const id of ids) {
    const area = areaOf.get(id);
    if (area === undefined) seatIDs.push(id);
    else counts.set(area, (counts.get(area) ?? 0) + 1);
  }
  const places = areaOrder.filter((a) => counts.has(a)).map((a) => ({ areaID: a, quantity: counts.get(a)! }));
  return { seatIDs, places };
}
