import express, { Router } from 'express';
import { INVENTORY_LIMITS, inventoryDocumentSchema } from '../../inventory/inventory-file';
import type { InventoryService } from '../../inventory/inventory.service';
import { currentUser } from '../request-context';
import { defineRoutes, mount } from '../route-spec';
import { importReportSchema } from '../response-schemas';

export const inventoryRouteSpecs = defineRoutes({
  import: {
    method: 'post', path: '/inventory/import', response: importReportSchema, tag: 'inventory', summary: 'Import an inventory document (JSON, or YAML with a YAML content type)', permission: 'manage_inventory',
    body: inventoryDocumentSchema, bodyMediaTypes: ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'],
  },
});

/**
 * `POST /api/v2/inventory/import` (administrators): a JSON body is the inventory document itself;
 * a YAML body is accepted with Content-Type application/yaml (or text/yaml, text/plain).
 * Answers the counts of what was created or changed; an invalid file answers 400 and writes nothing.
 */
export function createInventoryRoutes(inventory: InventoryService): Router {
  const router = Router();
  mount(router, inventoryRouteSpecs.import, express.text({ type: ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'], limit: INVENTORY_LIMITS.bytes }), async (req, res) => {
    const user = currentUser(req);
    const summary = typeof req.body === 'string' ? await inventory.importInventoryText(user, req.body) : await inventory.importInventory(user, req.body);
    res.json(summary);
  });
  return router;
}
