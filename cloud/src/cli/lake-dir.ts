/** Where the lake commands find the local lake unless told otherwise. */
export const LAKE_DIR_ENV = 'COFFEE_IOT_LAKE_DIR';
/** The local stack's lake, relative to where it runs (beside `.local/coffee-iot.sqlite`). */
export const DEFAULT_LAKE_DIR = '.local/lake';
