// Types of scripts/gen-admin-types.mjs for its test (test/scripts/gen-admin-types.test.ts).
export declare const GENERATED: string;
export declare const TYPES: ReadonlyArray<readonly [name: string, module: string, exported: string]>;
export declare function loadSchemas(): Promise<Record<string, Record<string, unknown>>>;
export declare function toType(schema: Record<string, unknown>, depth?: number): string;
export declare function render(schemas: Record<string, Record<string, unknown>>): string;
