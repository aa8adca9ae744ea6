"""The tenancy module's Query and Mutation classes: thin resolvers over the services."""
