import type * as Joi from 'joi';

/** What a variable's rule validates to, as its type parameter says (`Joi.string<'lock' | 'queue'>()`). */
type Validated<Rule> = Rule extends Joi.AnySchema<infer Value> ? Value : never;

/**
 * A business module's part of the configuration: its environment variables (Joi rules with their
 * defaults; a bad value stops start-up with a message naming the variable) and the typed settings
 * read from them, found at `config[key]`. The one loader ({@link loadConfig}) validates every slice
 * with the platform's variables; src/config.ts lists the slices. The module adds its settings to
 * `AppConfig` beside the slice:
 *
 *     type OrderConfig = ConfigOf<typeof ORDER_CONFIG>;
 *     declare module '../../platform/config/app-config' {
 *       interface AppConfig extends OrderConfig {}
 *     }
 */
export interface ConfigSlice<
  Key extends string = string,
  Variables extends Record<string, Joi.AnySchema> = Record<string, Joi.AnySchema>,
  Settings = unknown,
> {
  key: Key;
  variables: Variables;
  /** Rules across the slice's variables, added to the whole schema (`schema.and(A, B)`: both or neither). */
  rules?<Env>(schema: Joi.ObjectSchema<Env>): Joi.ObjectSchema<Env>;
  settings(env: { [Name in keyof Variables]: Validated<Variables[Name]> }): Settings;
}

/** Declares a slice, typing `settings`' argument from the variables' rules. */
export function configSlice<const Key extends string, Variables extends Record<string, Joi.AnySchema>, Settings>(
  slice: ConfigSlice<Key, Variables, Settings>,
): ConfigSlice<Key, Variables, Settings> {
  return slice;
}

/** `{ order: <its settings> }` for a slice keyed `order`: what the module adds to `AppConfig`. */
export type ConfigOf<Slice extends ConfigSlice> = { [Key in Slice['key']]: ReturnType<Slice['settings']> };
