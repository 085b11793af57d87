import type { DataSource } from 'typeorm';
import { toTx, type Tx } from '../db-transaction';
import { createHostRepository, type HostRepository } from './host.repository';
import { createHostgroupRepository, type HostgroupRepository } from './hostgroup.repository';
import { createSmartProxyRepository, type SmartProxyRepository } from './smart-proxy.repository';
import { createTaxonomyRepository, type TaxonomyRepository } from './taxonomy.repository';

export interface InventoryRepositories {
  hosts: HostRepository;
  hostgroups: HostgroupRepository;
  smartProxies: SmartProxyRepository;
  taxonomies: TaxonomyRepository;
}

/**
 * The inventory repositories, plus a transaction that hands out the same set bound to it, and the
 * transaction itself for other services' writes that must commit with it (the audit entry).
 */
export interface InventoryStore extends InventoryRepositories {
  transaction<T>(fn: (repos: InventoryRepositories, tx: Tx) => Promise<T>): Promise<T>;
}

export function createInventoryStore(dataSource: DataSource): InventoryStore {
  const bind = (manager: DataSource['manager']): InventoryRepositories => ({
    hosts: createHostRepository(manager),
    hostgroups: createHostgroupRepository(manager),
    smartProxies: createSmartProxyRepository(manager),
    taxonomies: createTaxonomyRepository(manager),
  });
  return {
    ...bind(dataSource.manager),
    transaction: (fn) => dataSource.transaction((manager) => fn(bind(manager), toTx(manager))),
  };
}
