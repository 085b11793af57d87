export { getSmartProxy } from '../SmartProxies/api';
export { namespaces as proxyNamespaces } from '../RunAction/api';
export { listHosts as proxyHosts } from '../Hosts/api';
