import { certnameQuery } from '@server/puppetdb/puppetdb.client';

describe(certnameQuery.name, () => {
  it.each([
    ['inventory[certname] { facts.os.family = "Debian" }', 'inventory[certname] { facts.os.family = "Debian" }'],
    ['nodes { certname ~ "web" }', 'nodes { certname ~ "web" }'],
    ['facts.os.family = "Debian"', 'inventory[certname] { facts.os.family = "Debian" }'],
    ['certname ~ "^db" and facts.kernel = "Linux"', 'inventory[certname] { certname ~ "^db" and facts.kernel = "Linux" }'],
  ])('sends %s to PuppetDB as %s', (given, sent) => {
    expect(certnameQuery(given)).toBe(sent);
  });
});
