package storage

import "github.com/shoal-iot/shoal/dm"

// ProvisioningStores hands dm the repositories of bootstrap and the
// credential lifecycle.
func (s *Store) ProvisioningStores() dm.ProvisioningStores {
	return dm.ProvisioningStores{Configs: s.BootstrapConfigs(), Accounts: s.BootstrapAccounts(), Factory: s.FactoryCredentials(),
		Sessions: s.BootstrapSessions(), Lifecycle: s.CredentialLifecycle()}
}
