// eslint-disable-next-line @typescript-eslint/no-require-imports
export const SDK_VERSION = (require('../package.json') as { version: string }).version;
