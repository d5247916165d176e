const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** IDs are UUIDs; anything else cannot name a row, so it is answered without asking the database. */
export const isUuid = (s: string): boolean => UUID.test(s);

export const isCurrency = (s: string): boolean => /^[A-Z]{3}$/.test(s);
