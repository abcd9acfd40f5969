/** A decoded value as traces store it: plain JSON, the shape every layer's view decodes the state into. */
export type Plain = number | boolean | string | Plain[] | { [k: string]: Plain };
