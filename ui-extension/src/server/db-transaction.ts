import type { EntityManager } from 'typeorm';

declare const txBrand: unique symbol;

/**
 * An open database transaction as services see it: they pass it from one repository call to the
 * next and never touch TypeORM themselves (STYLE.md §2). Only repositories open it up.
 */
export type Tx = { readonly [txBrand]: true };

export const toTx = (manager: EntityManager): Tx => manager as unknown as Tx;
export const managerOf = (tx: Tx): EntityManager => tx as unknown as EntityManager;
